"""Operating Unmute on Docker Swarm: images, deploy, scale, status, health, logs, rollback,
drain and autoscale. Each command lives in its own module; `engine` is the shared way in."""
