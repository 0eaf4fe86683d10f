job "shop" {
  type = "service"

  # Job-wide: two canaries, promoted by hand (barque rollout promote).
  update {
    max_parallel     = 2
    canary           = 2
    min_healthy_time = "5s"
    auto_revert      = true
  }

  group "api" {
    count = 4
    task "api" {
      driver = "docker"
      config {
        image = "shop/api:1.4"
      }
    }
  }

  # No canaries here: auto_revert has nothing to revert (a warning).
  group "worker" {
    update {
      max_parallel = 1
      auto_revert  = true
    }
    task "worker" {
      driver = "docker"
      config {
        image = "shop/worker:1.0"
      }
    }
  }

  # Blue/green: as many canaries as allocations, promoted automatically.
  group "web" {
    count = 2
    update {
      canary       = 2
      auto_promote = true
    }
    task "web" {
      driver = "docker"
      config {
        image = "shop/web:2.0"
      }
    }
  }
}
