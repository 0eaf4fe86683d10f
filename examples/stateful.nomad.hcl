# A stateful service: a counter that keeps its state in a host volume. The
# group's volume block names a directory of the node (Barque's agents have
# no host_volume table, so source is the path itself, created if missing),
# and the task's volume_mount puts it at data/ in the task's directory.
# Because the group has a volume, Barque runs it as a StatefulSet: the pod
# keeps its name (counter-0) and a replacement never runs beside the pod it
# replaces. Each start of the task appends a line to data/starts and the
# running task bumps data/count every second, so the data visibly survives
# task restarts and pod replacements (barque delete pod counter-0).
#
#   barque job run examples/stateful.nomad.hcl
#   barque logs counter-0 -f
#   cat /tmp/barque-counter/starts
#
# A hostPath is a directory of one node: a pod replaced onto another node
# starts from that node's copy. Pin the job with a constraint on
# ${node.unique.name} when that matters; the dev cluster's two agents share
# one machine, and so one directory.
variable "data_dir" {
  type        = string
  description = "the node directory that holds the counter's data"
  default     = "/tmp/barque-counter"
}

job "counter" {
  type = "service"

  group "counter" {
    count = 1

    volume "data" {
      type   = "host"
      source = var.data_dir
    }

    task "counter" {
      driver = "exec"
      volume_mount {
        volume      = "data"
        destination = "/data"
      }
      config {
        command = "/bin/sh"
        args = ["-c", <<-EOT
          echo "$NOMAD_ALLOC_ID $(date -u +%FT%TZ)" >> data/starts
          echo "start $(wc -l < data/starts) of the counter, count $(cat data/count 2>/dev/null || echo 0)"
          while true; do
            n=$(cat data/count 2>/dev/null || echo 0)
            echo $((n + 1)) > data/count.tmp && mv data/count.tmp data/count
            sleep 1
          done
        EOT
        ]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
