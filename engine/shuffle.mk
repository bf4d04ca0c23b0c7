# engine/shuffle.mk
