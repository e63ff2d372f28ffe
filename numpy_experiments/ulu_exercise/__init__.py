"""The theory and analysis behind one seed exercise only: linear autoencoders on ``ulu.csv``.

Seed 000 Part 2 (a, b, d), run by ``numpy_experiments/linear_ae_experiment.py``
(``python train_numpy.py experiment=numpy_linear_ae``): closed-form minima and curvature
(``linear_ae_theory``), the geometric foreground/background split of the point cloud
(``foreground_split``), and the pieces the runner trains: the identity fit over learning rates
(``identity_fit_sweep``), the input normaliser (``input_whitening``), the autoencoders
(``linear_autoencoder``) and the exercise's figures (``autoencoder_plots``). Nothing outside that exercise uses them.
"""
