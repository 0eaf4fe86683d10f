# A sysbatch job: one run to completion on every node, as a node audit or
# a cache warm-up would be. Barque runs it as a run-once DaemonSet
# (annotation barque.io/run-once-per-node): each eligible node runs the
# task once; a node that joins later gets its run too; a pod that ended is
# not started again (running a changed job runs the new version once more).
#
#   barque job run examples/sysbatch.nomad.hcl
#   barque job status node-audit     (one succeeded pod per node)
#   barque logs -l barque.io/job=node-audit --prefix
job "node-audit" {
  type = "sysbatch"

  group "audit" {
    restart {
      attempts = 0
    }

    task "audit" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"audit of ${node.unique.name}: $(uname -s), $(nproc) cpus\""]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
