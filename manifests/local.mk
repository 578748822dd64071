# manifests rules
