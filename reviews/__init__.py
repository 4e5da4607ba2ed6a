"""The ticket's life: the state machine and the pipeline steps; comments, feedback, ratings."""
