job "web" {
  datacenters = ["dc1"]
  type        = "service"

  update {
    max_parallel     = 1
    min_healthy_time = "10s"
  }

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  group "frontend" {
    count = 3

    network {
      port "http" {}
      port "admin" {
        static = 9090
      }
    }

    service {
      name = "web"
      port = "http"
      check {
        type     = "http"
        path     = "/healthz"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "server" {
      driver = "exec"
      config {
        command = "/usr/local/bin/web"
        args    = ["-listen", ":${NOMAD_PORT_http}", "-name", "${node.unique.name}"]
      }
      env {
        GREETING = "hello"
      }
      resources {
        cpu        = 500
        memory     = 256
        memory_max = 512
      }
      template {
        data        = "listen = {{ env \"NOMAD_PORT_http\" }}\n"
        destination = "local/web.conf"
      }
      kill_timeout = "20s"
    }

    task "setup" {
      driver = "raw_exec"
      lifecycle {
        hook = "prestart"
      }
      config {
        command = "/bin/mkdir"
        args    = ["-p", "${NOMAD_ALLOC_DIR}/data"]
      }
    }
  }
}
