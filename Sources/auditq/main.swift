print("auditq")
