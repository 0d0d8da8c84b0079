"""Quality assurance: a deterministic sample of decisions reviewed a second time."""
