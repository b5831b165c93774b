# syntax=docker/dockerfile:1
# Production image: Node 24 runs the TypeScript sources directly (type stripping), so the
# build stage only installs production dependencies. Some are native addons (bcrypto's
# libsecp256k1) that node-gyp compiles there: it needs python3, make and a C++ compiler.
FROM node:24-slim AS deps
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY cli ./cli
COPY core ./core
COPY relay ./relay
COPY bots ./bots
COPY api ./api
COPY workers ./workers
COPY migrations ./migrations
RUN ln -s /app/bin/flash.ts /usr/local/bin/flash && mkdir -p /data && chown node:node /data
USER node
ENV DATA_DIR=/data API_HOST=0.0.0.0 RELAY_HOST=0.0.0.0
EXPOSE 7777 8080
ENTRYPOINT ["flash"]
CMD ["start", "all"]
