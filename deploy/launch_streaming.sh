#!/usr/bin/env bash
# Launch newsbeam as a Dataflow streaming job (Streaming Engine) fed by Cloud Storage
# notifications: every object finalized under gs://BUCKET/PREFIX is read once per generation.
# Usage: deploy/launch_streaming.sh PROJECT REGION BUCKET TEMPLATE_JSON_URL IMAGE [PREFIX]
#   TEMPLATE_JSON_URL and IMAGE come from deploy/build_template.sh; PREFIX defaults to raw/.
# Re-running it creates what is missing and launches a new job; to replace a running job keep its
# state with --update (see README "Streaming on Dataflow").
set -euo pipefail
project=$1 region=$2 bucket=$3 template=$4 image=$5 prefix=${6:-raw/}
topic="newsbeam-finalized"
subscription="newsbeam-stream"

# 1. Bucket -> Pub/Sub: a JSON notification per OBJECT_FINALIZE under the prefix.
gcloud pubsub topics describe "$topic" --project "$project" >/dev/null 2>&1 \
  || gcloud pubsub topics create "$topic" --project "$project"
if ! gcloud storage buckets notifications list "gs://${bucket}" --project "$project" --format='value(topic)' \
    | grep -q "/topics/${topic}$"; then
  gcloud storage buckets notifications create "gs://${bucket}" --project "$project" --topic "$topic" \
    --event-types OBJECT_FINALIZE --object-prefix "$prefix" --payload-format json
fi
# 2. The job's subscription: messages kept 7 days (a stopped job resumes where it stopped).
gcloud pubsub subscriptions describe "$subscription" --project "$project" >/dev/null 2>&1 \
  || gcloud pubsub subscriptions create "$subscription" --project "$project" --topic "$topic" \
       --ack-deadline 600 --message-retention-duration 7d

# 3. The streaming job from the Flex Template, on Streaming Engine.
gcloud dataflow flex-template run "newsbeam-stream-$(date -u +%Y%m%d-%H%M%S)" \
  --project "$project" --region "$region" --template-file-gcs-location "$template" \
  --enable-streaming-engine --temp-location "gs://${bucket}/tmp" --max-workers 5 \
  --parameters "streaming=true" \
  --parameters "input_subscription=projects/${project}/subscriptions/${subscription}" \
  --parameters "output=gs://${bucket}/news" \
  --parameters "dedup_index=gs://${bucket}/news/_dedup_index" \
  --parameters "sdk_container_image=${image}"
