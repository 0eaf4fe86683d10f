# A system job: one instance on every node, now and on nodes that join
# later, as a log shipper or a node exporter would run. Barque runs it as
# a DaemonSet. Each instance reports its node's load every few seconds.
#
#   barque job run examples/system.nomad.hcl
#   barque get daemonsets       (one pod per ready node)
#   barque get pods -o wide -l barque.io/job=node-report
job "node-report" {
  type = "system"

  group "node-report" {
    task "report" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args = ["-c", <<-EOT
          while true; do
            echo "node ${node.unique.name} (${attr.kernel.name}): load $(cut -d' ' -f1-3 /proc/loadavg)"
            sleep 10
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
