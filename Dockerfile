# amko: one static binary on a distroless, non-root base.
# Build: docker build -t amko:dev .   (or: make image)
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
COPY third_party/ third_party/
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY config/ config/
COPY internal/ internal/
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/amko ./cmd/amko

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/amko /amko
USER 65532:65532
EXPOSE 8080 5353/udp 5353/tcp
ENTRYPOINT ["/amko"]
