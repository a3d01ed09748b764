# Tailor: multi-stage image. Builds on debian:bookworm with the project's own
# install script, runs on debian:bookworm-slim with only the runtime
# libraries, as a non-root user.
#
#   docker build -t tailor .
#   docker run -p 8980:8980 -p 9464:9464 -v tailor:/var/lib/tailor tailor
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN ./scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN rm -rf build && ./scripts/build.sh \
      --target tailor-server tailor-trainer tailor tailor-datagen

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libabsl20220623 librocksdb7.8 zlib1g \
      libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/tailor tailor \
 && mkdir -p /var/lib/tailor/snapshots /var/lib/tailor/data /var/lib/tailor/store \
 && chown -R tailor:tailor /var/lib/tailor
COPY --from=build /src/build/bin/tailor-server /src/build/bin/tailor-trainer \
     /src/build/bin/tailor /src/build/bin/tailor-datagen /usr/local/bin/
USER tailor
WORKDIR /var/lib/tailor
# The main server flags can be set from the environment. Listening on
# 0.0.0.0 needs tokens (TAILOR_TOKENS_FILE) or TLS (TAILOR_TLS_*), or
# TAILOR_ALLOW_INSECURE=true behind a proxy that does both.
ENV TAILOR_ADDRESS=0.0.0.0:8980 \
    TAILOR_SNAPSHOT_DIR=/var/lib/tailor/snapshots \
    TAILOR_DATA_DIR=/var/lib/tailor/data \
    TAILOR_POLL_INTERVAL=5s \
    TAILOR_REQUIRE_SNAPSHOT=false \
    TAILOR_METRICS_ADDRESS=0.0.0.0:9464 \
    TAILOR_TOKENS_FILE= \
    TAILOR_TLS_CERT_FILE= \
    TAILOR_TLS_KEY_FILE= \
    TAILOR_TLS_CLIENT_CA_FILE= \
    TAILOR_ALLOW_INSECURE=false
# gRPC; Prometheus metrics (GET /metrics).
EXPOSE 8980 9464
VOLUME ["/var/lib/tailor"]
# Healthy once a snapshot is loaded (grpc.health.v1 reports SERVING).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["sh", "-c", "tailor health --timeout_ms=2000 --address=127.0.0.1:${TAILOR_ADDRESS##*:}"]
ENTRYPOINT ["sh", "-c", "exec tailor-server --address=\"$TAILOR_ADDRESS\" --snapshot_dir=\"$TAILOR_SNAPSHOT_DIR\" --data_dir=\"$TAILOR_DATA_DIR\" --poll_interval=\"$TAILOR_POLL_INTERVAL\" --require_snapshot=\"$TAILOR_REQUIRE_SNAPSHOT\" --metrics_address=\"$TAILOR_METRICS_ADDRESS\" --tokens_file=\"$TAILOR_TOKENS_FILE\" --tls_cert_file=\"$TAILOR_TLS_CERT_FILE\" --tls_key_file=\"$TAILOR_TLS_KEY_FILE\" --tls_client_ca_file=\"$TAILOR_TLS_CLIENT_CA_FILE\" --allow_insecure=\"$TAILOR_ALLOW_INSECURE\" \"$@\"", "tailor-server"]
