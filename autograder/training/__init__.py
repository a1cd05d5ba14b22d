"""ps5's trusted LeNet training check: the contract, the rebuilt model, the training."""
