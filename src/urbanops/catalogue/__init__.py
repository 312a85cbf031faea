"""The GB/T 47678.5 catalogue: matter classes, components, matters with per-stage time limits,
and the citizen-facing categories mapped to matters."""
