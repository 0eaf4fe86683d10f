job "java" {
  group "g" {
    task "t" {
      driver = "java"
      config {
        command = "app.jar"
      }
    }
  }
}
