# hotline: SIP application server + IVR + ACD, run from TypeScript sources by tsx.
FROM node:20-slim

WORKDIR /app

# Dependencies first, so that a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci && npm cache clean --force

COPY . .
RUN mkdir -p /app/data && chown node:node /app/data

ENV NODE_ENV=production \
    HOTLINE_CONFIG=/app/hotline.yaml
USER node

# HTTP (/metrics, API), SIP over UDP and TCP, RTP media.
EXPOSE 8080 5060/udp 5060/tcp 20000-20100/udp

CMD ["npm", "start"]
