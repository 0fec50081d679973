"""The training runtime: live runs train in worker processes, not in the Streamlit server (issue 19).

- group.py: RunGroup, the runs one worker owns for one session (a Toy Lab run, or compare mode's A and B),
  trained in lockstep at full speed, checked, with timeline moments kept.
- worker.py: the worker process (`python -m ganlab.runtime.worker`) and its protocol.
- zygote.py: workers forked from a process that has imported torch already (Linux; a fresh process elsewhere).
- pool.py: the server's side: TrainingPool (the workers, the queue for a training slot) and RemoteGroup.
- jobs.py: one-off computations (scoring a model) in a worker process of their own, one at a time.
- memory.py: giving freed memory back to the system.

The Toy Lab's side of the hand-off is ganlab.ui.toy_handoff.
"""
