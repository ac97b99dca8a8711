-- `gender` is 'F' or 'M' (NULL is not judged here): the users whose is something else.
SELECT CAST(user_id AS VARCHAR) || ': ' || gender AS key FROM {users}
WHERE gender{eq} NOT IN ('F'{eq}, 'M'{eq})
