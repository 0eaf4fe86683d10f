job "bad" {
  affinity {
    attribute = "${node.class}"
    value     = "fast"
    weight    = 150
  }

  group "g" {
    affinity {
      attribute = "${meta.rack}"
      operator  = "distinct_hosts"
    }

    spread {
      attribute = "${meta.rack}"
      weight    = 0

      target "r1" {
        percent = 80
      }

      target "r2" {
        percent = 30
      }
    }

    task "t" {
      driver = "exec"
      config {
        command = "/bin/true"
      }

      affinity {
        attribute = "${attr.os.name}"
        operator  = "regexp"
        value     = "(ubuntu"
      }
    }
  }
}
