# amko: one static binary on a distroless, non-root base.
#
# No Docker needed: `make image` builds this same image (user 65532:65532,
# entrypoint /amko, the ports below) for linux/amd64 and linux/arm64 as an OCI
# layout in bin/image, in pure Go (hack/release/cmd/amko-image), and
# `make release REGISTRY=...` pushes it; test/release checks that image against
# this file. With Docker:
#   docker build -t amko:dev .
#   docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/amko:VERSION \
#     --build-arg VERSION=... --build-arg REVISION=$(git rev-parse HEAD) --push .
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
COPY third_party/ third_party/
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY config/ config/
COPY internal/ internal/
# Cross-compiled on the build machine's platform, as make image does.
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags='-s -w' -o /out/amko ./cmd/amko

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=
LABEL org.opencontainers.image.title=amko \
      org.opencontainers.image.source=https://github.com/amko-project/amko \
      org.opencontainers.image.licenses=Apache-2.0 \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.revision=$REVISION
COPY --from=build /out/amko /amko
USER 65532:65532
EXPOSE 8443 8081 5353/udp 5353/tcp
ENTRYPOINT ["/amko"]
