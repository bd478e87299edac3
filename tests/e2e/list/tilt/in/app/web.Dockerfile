FROM golang:1.23 AS build
FROM gcr.io/distroless/static:nonroot
