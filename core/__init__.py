"""What every app uses: tasks, metrics, Redis, encryption, log context, network rules,
admin helpers and the domain-error base. It imports no app of ours and not the project shell."""
