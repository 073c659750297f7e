"""`lookalike demo`: the lab's insurance-fraud workflow end to end, as the main job.

One module per step, run in order by `run_demo` (lookalike.demo.run):

1. lab: the database `BUILD_LONDON_25` (schemas DATA, NOTEBOOK) and the lab's three tables;
2. fake_rows: ten customers from the embedded language model (the LLM route);
3. synthesis: the lab's GENERATE_SYNTHETIC_DATA call on claims and customers;
4. prepare: join, mark IS_SYNTHETIC, clean, plot CLAIM_AMOUNT;
5. fraud_model: the lab's XGBoost pipeline and grid search, on real + synthetic rows;
6. evaluation: a fair evaluation on held-out real claims, over seeds, with padding;
7. registry: the best model registered in MLflow (SQLite backend) and loaded back;
8. drift: the new claims scored, and PSI per feature against the training data.

page renders the HTML report. The demo needs the `demo` extra.

>>> result = run_demo(DemoOptions(output=Path("lookalike-demo")))
>>> result.evaluation.summary("real only (TRTR)").auc
"""

from lookalike.demo.run import DemoDependencyError, DemoOptions, DemoResult, run_demo

__all__ = ["DemoDependencyError", "DemoOptions", "DemoResult", "run_demo"]
