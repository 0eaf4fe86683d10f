job "node-exporter" {
  type        = "system"
  datacenters = ["dc1", "edge-*"]

  update {
    max_parallel = 2
  }

  group "exporter" {
    network {
      port "metrics" {
        static = 9100
      }
    }

    constraint {
      distinct_hosts = true
    }

    task "exporter" {
      driver = "docker"
      user   = "65534"
      config {
        image = "prom/node-exporter:v1.8.0"
        ports = ["metrics"]
      }
      service {
        port = "metrics"
        check {
          type     = "tcp"
          interval = "15s"
          timeout  = "3s"
        }
      }
      logs {
        max_files = 3
      }
    }
  }
}
