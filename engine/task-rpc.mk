# engine/task-rpc.mk
