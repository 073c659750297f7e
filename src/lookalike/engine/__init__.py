"""The synthesis engine as named steps: analyze, encode, train, generate.

- analyze: column statistics per partition, reduced into column models (lookalike.columns);
- encode: the table as a matrix of integer codes, one column per table column;
- train: a chain of conditional trees over the codes (lookalike.engine.train);
- generate: codes drawn from the chain, decoded into Arrow batches (lookalike.engine.generate).
"""
