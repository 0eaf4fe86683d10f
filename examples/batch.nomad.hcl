# A batch job: three instances of a shell task that each do a piece of
# work and exit. Barque runs it as a Job with completions = parallelism =
# count; a task that fails is restarted in place up to restart.attempts
# times. The Job is Complete once all three have exited 0.
#
#   barque job run examples/batch.nomad.hcl
#   barque get jobs             (COMPLETIONS 3/3)
#   barque get pods -l barque.io/job=sums; barque logs POD
job "sums" {
  type = "batch"

  group "sum" {
    count = 3

    restart {
      attempts = 2
      delay    = "1s"
      mode     = "fail"
    }

    task "sum" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args = ["-c", <<-EOT
          n=0; i=1
          while [ $i -le 1000 ]; do n=$((n + i)); i=$((i + 1)); done
          echo "$NOMAD_ALLOC_NAME on $NOMAD_NODE_NAME: 1+...+1000 = $n"
        EOT
        ]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
