# engine/executor.mk
