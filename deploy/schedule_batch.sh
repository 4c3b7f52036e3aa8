#!/usr/bin/env bash
# Launch newsbeam as a scheduled batch job: Cloud Scheduler calls the Flex Template launch API
# every day at 02:15 UTC over the whole raw folder. Each run processes only the files no earlier
# run processed (newsbeam's incremental default: OUT/_runs/_processed), folds copies of earlier
# articles through the dedup index (OUT/_dedup_index) and commits its output as a whole, so the
# tables hold every article once however often the job runs. The worker image comes from the
# template spec (deploy/build_template.sh).
# Usage: deploy/schedule_batch.sh PROJECT REGION BUCKET TEMPLATE_SPEC_URL SCHEDULER_ACCOUNT WORKER_ACCOUNT
#   SCHEDULER_ACCOUNT: the account Cloud Scheduler calls the API as (roles/dataflow.developer and
#   roles/iam.serviceAccountUser on WORKER_ACCOUNT); WORKER_ACCOUNT: the job's workers (see README).
set -euo pipefail
project=$1 region=$2 bucket=$3 template=$4 scheduler=$5 worker=$6
body=$(cat <<JSON
{
  "launchParameter": {
    "jobName": "newsbeam-daily",
    "containerSpecGcsPath": "${template}",
    "parameters": {
      "input": "gs://${bucket}/raw/",
      "output": "gs://${bucket}/news"
    },
    "environment": {
      "tempLocation": "gs://${bucket}/tmp",
      "stagingLocation": "gs://${bucket}/staging",
      "serviceAccountEmail": "${worker}",
      "maxWorkers": 10
    }
  }
}
JSON
)
gcloud scheduler jobs create http newsbeam-daily \
  --project "$project" --location "$region" --schedule "15 2 * * *" --time-zone UTC \
  --uri "https://dataflow.googleapis.com/v1b3/projects/${project}/locations/${region}/flexTemplates:launch" \
  --http-method POST --oauth-service-account-email "$scheduler" \
  --headers Content-Type=application/json --message-body "$body"
