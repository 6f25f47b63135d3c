"""Evaluation over a test set: the items (``testset``), the metrics (``metrics``), the run
(``runner``) and what it writes (``report``)."""
