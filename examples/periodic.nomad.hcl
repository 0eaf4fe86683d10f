# A periodic job: a batch job started on a cron schedule, here every five
# minutes, never two runs at once. Barque runs it as a CronJob, which
# creates a Job (and its pod) at each time of the schedule. The schedule
# is a variable so that a demo or a test can run it often:
#
#   barque job run examples/periodic.nomad.hcl
#   barque job run --var 'schedule=@every 10s' examples/periodic.nomad.hcl
#   barque get cronjobs; barque get jobs -w
variable "schedule" {
  type        = string
  description = "when to run: five cron fields, or a descriptor such as @hourly or @every 30s"
  default     = "*/5 * * * *"
}

job "tidy" {
  type = "batch"

  periodic {
    crons            = [var.schedule]
    prohibit_overlap = true
  }

  group "tidy" {
    restart {
      attempts = 0
    }

    task "tidy" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"tidy run $NOMAD_ALLOC_ID at $(date -u +%H:%M:%S) on $NOMAD_NODE_NAME\""]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
