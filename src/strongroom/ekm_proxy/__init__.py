"""The reference EKM proxy (strongroom-ekm); see DESIGN.md."""
