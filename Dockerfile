# ivr-engine: build with Swift 6 on Debian bookworm, run on slim Debian.
# (Not built in CI: no Docker engine there. `scripts/serve` is the tested path.)
FROM swift:6.0-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        libmicrohttpd-dev libxml2-dev liblua5.4-dev libhiredis-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product ivr-engine --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/ivr-engine" /usr/local/bin/ivr-engine

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        libmicrohttpd12 libxml2 liblua5.4-0 libhiredis0.14 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/ivr-engine /usr/local/bin/ivr-engine
COPY sample-menus /srv/ivr/scripts
USER nobody
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ivr-engine", "serve", "--scripts", "/srv/ivr/scripts"]
