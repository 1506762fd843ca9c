"""sovcloud-infra: the deployment toolkit of a sovereign OpenStack region.

Data flows one way through the sub-packages:

    stacks/ (YAML) -> model/ (typed, validated Region)
                   -> cloud/ (Pulumi resources)   and   inventory/ (Ansible inventory)
                   -> hosts (roles/) -> audit/ and drift/ reports
"""

__version__ = "0.1.0"
