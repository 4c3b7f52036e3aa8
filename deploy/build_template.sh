#!/usr/bin/env bash
# Build the newsbeam image and register the Flex Template spec in Cloud Storage.
# Usage: deploy/build_template.sh PROJECT REGION ARTIFACT_REPO BUCKET [TAG]
set -euo pipefail
project=$1 region=$2 repo=$3 bucket=$4 tag=${5:-$(git rev-parse --short HEAD)}
image="${region}-docker.pkg.dev/${project}/${repo}/newsbeam:${tag}"
cd "$(dirname "$0")/.."
gcloud builds submit --project "$project" --region "$region" \
  --config /dev/stdin . <<YAML
steps:
- name: gcr.io/cloud-builders/docker
  args: [build, -f, deploy/Dockerfile, -t, "$image", .]
images: ["$image"]
YAML
gcloud dataflow flex-template build "gs://${bucket}/templates/newsbeam-${tag}.json" \
  --project "$project" --image "$image" --sdk-language PYTHON \
  --metadata-file deploy/metadata.json
echo "template: gs://${bucket}/templates/newsbeam-${tag}.json  image: ${image}"
