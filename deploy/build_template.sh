#!/usr/bin/env bash
# Build the newsbeam image (launcher and workers in one, versions locked by
# deploy/requirements.lock) and register the batch and streaming Flex Template specs in Cloud
# Storage. The specs name the same image as the workers' image (defaultEnvironment.sdkContainerImage).
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
python=${PYTHON:-python3}
for kind in batch streaming; do
  spec="gs://${bucket}/templates/newsbeam-${kind}-${tag}.json"
  "$python" -m pipeline.docs template-spec "$image" "$([ "$kind" = streaming ] && echo streaming)" \
    | gcloud storage cp - "$spec" --project "$project"
  echo "template ($kind): $spec"
done
echo "image: ${image}"
