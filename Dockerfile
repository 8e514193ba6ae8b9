# The mock customer endpoint as a service for CI or behind a load balancer.
#   docker build -t connection-kit-mock .
#   docker run -p 4010:4010 -e CKIT_SECRET=your-secret connection-kit-mock
#   docker run -p 8080:8080 -e CKIT_PORT=8080 -e CKIT_SEED=7 connection-kit-mock   (any option as CKIT_*)
# It keeps no state that must be shared between replicas apart from the request journal
# (per instance, in memory); generated customers depend only on --seed and the e-mail.
# Safe as shipped: it listens on 0.0.0.0 with no admin token, so the admin API is open (it warns)
# and the playground's live fetch is OFF (403): the container never fetches URLs for whoever
# reaches it. Give it a token to protect /__admin and turn the fetch on for token holders:
#   docker run -p 4010:4010 -e CKIT_SECRET=your-secret -e CKIT_ADMIN_TOKEN=long-random connection-kit-mock
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY schemas ./schemas
COPY mocks ./mocks
RUN npm run build && npm prune --omit=dev

FROM node:22-slim
# Configure with CKIT_* variables (docs/mock.md): the port below is also what the health check asks.
ENV NODE_ENV=production CKIT_PORT=4010
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schemas ./schemas
COPY mocks ./mocks
USER node
EXPOSE 4010
HEALTHCHECK --interval=10s --timeout=2s CMD node -e "fetch('http://127.0.0.1:' + (process.env.CKIT_PORT || 4010) + '/__admin/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# SIGTERM from the orchestrator shuts down gracefully (in-flight timers and hung sockets closed).
CMD ["node", "dist/cli/main.js", "mock", "--host", "0.0.0.0", "--log", "json"]
