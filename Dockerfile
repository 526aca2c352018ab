# fp-autopilot: the engine as a container. Build: docker build -t fp-autopilot .
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; the image's own Node 24 runs the TypeScript sources directly.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production \
    PORT=8080 \
    AUTOPILOT_RULES=/rules \
    AUTOPILOT_DATA=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY schema ./schema
COPY rules /rules
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The young generation capped at 16 MiB per semi-space: see src/ops/serve-node-flags.ts.
ENTRYPOINT ["node", "--max-semi-space-size=16", "src/cli/main.ts"]
CMD ["serve"]
