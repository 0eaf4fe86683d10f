variable "image" {
  type    = string
  default = "nginx:1.25"
}

variable "replicas" {
  type    = number
  default = 1
}

variable "ports" {
  type    = list(number)
  default = [8080]
}

locals {
  name   = "${local.prefix}-api"
  prefix = lower("Shop")
  labels = join(",", concat(["a"], split(":", "b:c")))
}

job "vars" {
  group "api" {
    count = var.replicas

    network {
      port "http" {
        to = var.ports[0]
      }
    }

    service {
      name = local.name
      port = "http"
    }

    task "nginx" {
      driver = "docker"
      config {
        image = var.image
        ports = ["http"]
      }
      env {
        NAME    = upper(local.name)
        LABELS  = local.labels
        COUNT   = length(var.ports)
        MESSAGE = format("%s has %d replicas", local.name, var.replicas)
        CONFIG  = trimspace(file("files/motd.txt"))
        RENDER  = templatefile("files/greeting.tpl", { who = local.name })
      }
    }
  }
}
