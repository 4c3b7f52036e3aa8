#!/usr/bin/env bash
# Launch newsbeam as a scheduled batch job: Cloud Scheduler calls the Flex Template launch API
# every day at 02:15 UTC over yesterday's raw folder.
# Usage: deploy/schedule_batch.sh PROJECT REGION BUCKET TEMPLATE_JSON_URL IMAGE SERVICE_ACCOUNT
set -euo pipefail
project=$1 region=$2 bucket=$3 template=$4 image=$5 account=$6
body=$(cat <<JSON
{
  "launchParameter": {
    "jobName": "newsbeam-daily",
    "containerSpecGcsPath": "${template}",
    "parameters": {
      "input": "gs://${bucket}/raw/*/",
      "output": "gs://${bucket}/news",
      "sdk_container_image": "${image}"
    },
    "environment": {"tempLocation": "gs://${bucket}/tmp", "maxWorkers": 10}
  }
}
JSON
)
gcloud scheduler jobs create http newsbeam-daily \
  --project "$project" --location "$region" --schedule "15 2 * * *" --time-zone UTC \
  --uri "https://dataflow.googleapis.com/v1b3/projects/${project}/locations/${region}/flexTemplates:launch" \
  --http-method POST --oauth-service-account-email "$account" \
  --headers Content-Type=application/json --message-body "$body"
