# toolcode gateway image: `toolcode serve --http` on port 3333.
#   docker build -t toolcode .
#   docker run -p 3333:3333 -v $PWD/toolcode.config.json:/config/toolcode.config.json:ro \
#     -e ALICE_TOKEN=... toolcode
# Binding 0.0.0.0 requires bearer users (auth.users) in the config; see docs/deploy.md.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# util-linux: unshare (an empty network namespace per sandbox worker) and setpriv.
RUN apt-get update && apt-get install -y --no-install-recommends util-linux && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
ENV NODE_ENV=production
EXPOSE 3333
# SIGTERM drains: running requests finish (server.drainTimeoutMs), new ones get 503 SERVER_DRAINING.
STOPSIGNAL SIGTERM
CMD ["node", "dist/cli/main.js", "serve", "--http", "--host", "0.0.0.0", "--port", "3333", "--config", "/config/toolcode.config.json"]
