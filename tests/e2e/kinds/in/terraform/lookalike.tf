variable "image" {
  default = "@@REG@@/fixtures/app:v1"
}

resource "aws_ecs_task_definition" "t" {
  family                = "t"
  container_definitions = jsonencode([{ name = "t", image = "@@REG@@/fixtures/app:v1" }])
}
