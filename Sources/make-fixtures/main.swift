print("make-fixtures: todo")
