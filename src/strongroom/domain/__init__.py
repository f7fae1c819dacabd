"""Pure domain model: identifiers, resources, lifecycle rules and typed errors. No I/O."""
