"""IAM core: operation/permission tables, policy language and evaluator. Pure, no I/O."""
