# Affinities and spreads at every level they are allowed: the pod of a
# group carries the job's, the group's and its tasks' affinities, and the
# group's spreads then the job's on other attributes.
job "cache" {
  datacenters = ["dc1", "dc2"]

  affinity {
    attribute = "${node.datacenter}"
    value     = "dc1"
    weight    = 25
  }

  spread {
    attribute = "${node.datacenter}"
  }

  spread {
    attribute = "${meta.rack}"
    weight    = 10
  }

  group "redis" {
    count = 8

    affinity {
      attribute = "${node.class}"
      value     = "fast"
      weight    = 50
    }

    affinity {
      attribute = "${attr.kernel.version}"
      operator  = "version"
      value     = ">= 5.10"
      weight    = -20
    }

    spread {
      attribute = "${meta.rack}"
      weight    = 100

      target "r1" {
        percent = 75
      }

      target "r2" {
        percent = 25
      }
    }

    task "redis" {
      driver = "docker"
      config {
        image = "redis:7"
      }

      affinity {
        attribute = "${attr.cpu.features}"
        operator  = "set_contains"
        value     = "avx2"
      }
    }
  }
}
