# A Nomad job file, run unchanged by Barque: two instances of a small web
# server (python3's http.server) with the exec driver, each on a port the
# scheduler allocates, with an HTTP health check and a file rendered into
# the task's local/ directory. The job becomes a Deployment (web-frontend),
# a Service (web) selecting the instances, a ConfigMap (the template) and,
# from the urlprefix- tag, an Ingress (web) routing http://web.localhost/
# to the service. Services and Ingresses are stored, but no proxy serves
# them yet: reach each instance on its own port. The same service written
# as Kubernetes objects is examples/k8s/web.yaml.
#
#   barque dev examples/web.nomad.hcl        (or: barque job run examples/web.nomad.hcl)
#   barque get pods -o wide                  (each one's port: barque get pods -o yaml, hostPort)
#   barque get ingress web -o yaml
job "web" {
  datacenters = ["dc1"]
  type        = "service"

  update {
    max_parallel     = 1
    min_healthy_time = "1s"
  }

  group "frontend" {
    count = 2

    network {
      port "http" {}
    }

    service {
      name = "web"
      port = "http"
      # Fabio's convention, which Barque reads as an Ingress rule:
      # urlprefix-[HOST]/PATH.
      tags = ["urlprefix-web.localhost/"]
      check {
        type     = "http"
        path     = "/"
        interval = "2s"
        timeout  = "1s"
      }
    }

    task "server" {
      driver = "exec"
      config {
        command = "python3"
        args    = ["-m", "http.server", "${NOMAD_PORT_http}", "--bind", "${NOMAD_IP_http}", "--directory", "local"]
      }
      template {
        data        = "<h1>Hello from Barque</h1>\n"
        destination = "local/index.html"
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
