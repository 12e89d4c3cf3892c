# reclaim-review: one image for both bots (and the CLI).
#   docker build -t reclaim-review .
#   GitHub App:  docker run --read-only -p 3000:3000 -e APP_ID=... -e WEBHOOK_SECRET=... \
#                  -e PRIVATE_KEY_PATH=/run/secrets/app.pem -v $PWD/app.pem:/run/secrets/app.pem:ro \
#                  reclaim-review github
#   mail bot:    docker run --read-only -v rr-state:/var/lib/reclaim-review -p 9464:9464 \
#                  -e RECLAIM_IMAP_PASSWORD=... reclaim-review mail --imap-url imaps://bot@imap.example.org/INBOX \
#                  --from 'bot <bot@example.org>' --state /var/lib/reclaim-review/state \
#                  --outbox /var/lib/reclaim-review/outbox --http 0.0.0.0:9464
# Runs as the unprivileged "node" user; writes nothing outside /var/lib/reclaim-review
# (a volume), so --read-only works. docs/operations.md has the details.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm ci --no-audit --no-fund
COPY bin ./bin
COPY knowledge ./knowledge
COPY templates ./templates
COPY app.yml ./
# validates the knowledge base once and leaves its cache in dist/ (the runtime image is read-only)
RUN node bin/reclaim-review.js knowledge > /dev/null

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 LOG_FORMAT=json
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
# production dependencies only; dist/ comes from the build stage (prepare finds no tsc and keeps it)
COPY --from=build /src/dist ./dist
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY knowledge ./knowledge
COPY templates ./templates
COPY app.yml ./
RUN mkdir -p /var/lib/reclaim-review && chown node:node /var/lib/reclaim-review
USER node
VOLUME ["/var/lib/reclaim-review"]
EXPOSE 3000 9464
# the GitHub App answers on PORT; the mail bot where --http points (9464 above)
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD node -e "fetch('http://127.0.0.1:'+(process.env.HEALTH_PORT||process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "/app/bin/reclaim-review.js"]
CMD ["--help"]
