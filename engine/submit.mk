# engine/submit.mk
